{{/* Names, labels and shared fragments. Everything per component is computed here once. */}}

{{- define "isthmus.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "isthmus.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default .Chart.Name .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/* Object name for a component, e.g. "rel-isthmus-orders". */}}
{{- define "isthmus.componentName" -}}
{{- printf "%s-%s" (include "isthmus.fullname" .root) .component | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "isthmus.selectorLabels" -}}
app.kubernetes.io/name: {{ include "isthmus.name" .root }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end -}}

{{- define "isthmus.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .root.Chart.Name .root.Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{ include "isthmus.selectorLabels" . }}
app.kubernetes.io/version: {{ .root.Chart.AppVersion | quote }}
app.kubernetes.io/part-of: isthmus
app.kubernetes.io/managed-by: {{ .root.Release.Service }}
{{- with .root.Values.commonLabels }}
{{ toYaml . }}
{{- end }}
{{- end -}}

{{- define "isthmus.image" -}}
{{- $img := .Values.image -}}
{{- if $img.digest -}}
{{- printf "%s@%s" $img.repository $img.digest -}}
{{- else -}}
{{- printf "%s:%s" $img.repository (default .Chart.AppVersion $img.tag) -}}
{{- end -}}
{{- end -}}

{{- define "isthmus.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "isthmus.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{- define "isthmus.secretName" -}}
{{- include "isthmus.fullname" . -}}
{{- end -}}

{{/* Does the chart create its own Secret? Only when some secret value comes from values or evaluation. */}}
{{- define "isthmus.createSecret" -}}
{{- $v := .Values -}}
{{- $perService := false -}}
{{- range $name, $svc := $v.services -}}
{{- if and $svc.enabled $svc.database $svc.database.url -}}{{- $perService = true -}}{{- end -}}
{{- end -}}
{{- if or $v.evaluation.enabled (and (not $v.database.existingSecret) $v.database.url) (and (not $v.amqp.existingSecret) $v.amqp.url) (and (not $v.auth.existingSecret) (not $v.auth.disabled) $v.auth.tokens) $perService -}}
true
{{- end -}}
{{- end -}}

{{/* secretKeyRef of the shared database URL. */}}
{{- define "isthmus.databaseSecretRef" -}}
{{- if .Values.database.existingSecret -}}
name: {{ .Values.database.existingSecret }}
key: {{ .Values.database.existingSecretKey }}
{{- else -}}
name: {{ include "isthmus.secretName" . }}
key: database-url
{{- end -}}
{{- end -}}

{{/* secretKeyRef of one component's database URL: its own database values, else the shared one. */}}
{{- define "isthmus.componentDatabaseSecretRef" -}}
{{- $db := .svc.database | default dict -}}
{{- if $db.existingSecret -}}
name: {{ $db.existingSecret }}
key: {{ $db.existingSecretKey | default "database-url" }}
{{- else if $db.url -}}
name: {{ include "isthmus.secretName" .root }}
key: database-url-{{ .component }}
{{- else -}}
{{ include "isthmus.databaseSecretRef" .root }}
{{- end -}}
{{- end -}}

{{- define "isthmus.amqpSecretRef" -}}
{{- if .Values.amqp.existingSecret -}}
name: {{ .Values.amqp.existingSecret }}
key: {{ .Values.amqp.existingSecretKey }}
{{- else -}}
name: {{ include "isthmus.secretName" . }}
key: amqp-url
{{- end -}}
{{- end -}}

{{- define "isthmus.migrationAmqpSecretRef" -}}
{{- if .Values.amqp.existingSecret -}}
name: {{ .Values.amqp.existingSecret }}
key: {{ .Values.amqp.existingSecretKey }}
{{- else -}}
name: {{ include "isthmus.migrationSecretName" . }}
key: amqp-url
{{- end -}}
{{- end -}}

{{- define "isthmus.authSecretRef" -}}
{{- if .Values.auth.existingSecret -}}
name: {{ .Values.auth.existingSecret }}
key: {{ .Values.auth.existingSecretKey }}
{{- else -}}
name: {{ include "isthmus.secretName" . }}
key: auth-tokens
{{- end -}}
{{- end -}}

{{/* Fail early, with the fix in the message, instead of shipping pods that crash-loop. */}}
{{- define "isthmus.validate" -}}
{{- $v := .Values -}}
{{- if not $v.evaluation.enabled -}}
{{- $perServiceDb := true -}}
{{- range $name, $svc := $v.services -}}
{{- if and $svc.enabled (not (and $svc.database (or $svc.database.url $svc.database.existingSecret))) -}}{{- $perServiceDb = false -}}{{- end -}}
{{- end -}}
{{- if and (not $v.database.url) (not $v.database.existingSecret) (not $perServiceDb) -}}
{{- fail "isthmus: set database.url or database.existingSecret (external PostgreSQL), or evaluation.enabled=true" -}}
{{- end -}}
{{- if and (not $v.amqp.url) (not $v.amqp.existingSecret) -}}
{{- fail "isthmus: set amqp.url or amqp.existingSecret (external RabbitMQ), or evaluation.enabled=true" -}}
{{- end -}}
{{- if and (not $v.auth.disabled) (not $v.auth.tokens) (not $v.auth.existingSecret) -}}
{{- fail "isthmus: set auth.tokens or auth.existingSecret (or auth.disabled=true for local use only)" -}}
{{- end -}}
{{- end -}}
{{- if and $v.evaluation.enabled (or $v.database.url $v.database.existingSecret $v.amqp.url $v.amqp.existingSecret) -}}
{{- fail "isthmus: evaluation.enabled runs its own PostgreSQL and RabbitMQ; unset database.* and amqp.* (or turn evaluation off)" -}}
{{- end -}}
{{- if and $v.tls.enabled (not $v.tls.secretName) -}}
{{- fail "isthmus: tls.enabled needs tls.secretName (a kubernetes.io/tls Secret)" -}}
{{- end -}}
{{- end -}}

{{/* Port the probes and the test pod use: the plaintext health listener when TLS is on. */}}
{{- define "isthmus.probePort" -}}
{{- if .Values.tls.enabled -}}health{{- else -}}grpc{{- end -}}
{{- end -}}

{{- define "isthmus.probePortNumber" -}}
{{- if .Values.tls.enabled -}}{{ .Values.config.healthPort }}{{- else -}}{{ .Values.config.grpcPort }}{{- end -}}
{{- end -}}

{{/* A component's autoscaling / PDB settings: global defaults, overridden key by key (false wins too). */}}
{{- define "isthmus.overlay" -}}
{{- $out := deepCopy .base -}}
{{- range $k, $val := (.override | default dict) -}}
{{- $_ := set $out $k $val -}}
{{- end -}}
{{- toJson $out -}}
{{- end -}}

{{/* Component names that are enabled, sorted. */}}
{{- define "isthmus.enabledComponents" -}}
{{- $names := list -}}
{{- range $name, $svc := .Values.services -}}
{{- if $svc.enabled -}}{{- $names = append $names $name -}}{{- end -}}
{{- end -}}
{{- toJson (sortAlpha $names) -}}
{{- end -}}

{{- define "isthmus.evaluation.postgresqlHost" -}}
{{- printf "%s-postgresql" (include "isthmus.fullname" .) -}}
{{- end -}}

{{- define "isthmus.evaluation.rabbitmqHost" -}}
{{- printf "%s-rabbitmq" (include "isthmus.fullname" .) -}}
{{- end -}}

{{/* Container env shared by component pods and the migration job (values only, no secrets). */}}
{{- define "isthmus.tlsVolumeMounts" -}}
{{- if .Values.tls.enabled }}
- name: tls
  mountPath: /etc/isthmus/tls
  readOnly: true
{{- if .Values.tls.clientCA.enabled }}
- name: client-ca
  mountPath: /etc/isthmus/client-ca
  readOnly: true
{{- end }}
{{- end }}
{{- end -}}

{{- define "isthmus.tlsVolumes" -}}
{{- if .Values.tls.enabled }}
- name: tls
  secret:
    secretName: {{ .Values.tls.secretName }}
    items:
      - {key: tls.crt, path: tls.crt}
      - {key: tls.key, path: tls.key}
{{- if .Values.tls.clientCA.enabled }}
- name: client-ca
  secret:
    secretName: {{ .Values.tls.clientCA.secretName | default .Values.tls.secretName }}
    items:
      - {key: {{ .Values.tls.clientCA.key }}, path: ca.crt}
{{- end }}
{{- end }}
{{- end -}}

{{/* Non-secret environment, as "KEY: value" lines (ConfigMap data; the migration Job inlines it). */}}
{{- define "isthmus.configEnv" -}}
ISTHMUS_LOG_LEVEL: {{ .Values.config.logLevel | quote }}
ISTHMUS_LOG_FORMAT: {{ .Values.config.logFormat | quote }}
ISTHMUS_GRPC_PORT: {{ .Values.config.grpcPort | quote }}
ISTHMUS_METRICS_PORT: {{ .Values.config.metricsPort | quote }}
ISTHMUS_SHUTDOWN_GRACE_SECONDS: {{ .Values.config.shutdownGraceSeconds | quote }}
ISTHMUS_DATA_DIR: "/var/lib/isthmus"
ISTHMUS_AUTH_DISABLED: {{ .Values.auth.disabled | quote }}
{{- if .Values.tls.enabled }}
ISTHMUS_HEALTH_PORT: {{ .Values.config.healthPort | quote }}
ISTHMUS_TLS_CERT_FILE: "/etc/isthmus/tls/tls.crt"
ISTHMUS_TLS_KEY_FILE: "/etc/isthmus/tls/tls.key"
{{- if .Values.tls.clientCA.enabled }}
ISTHMUS_TLS_CLIENT_CA_FILE: "/etc/isthmus/client-ca/ca.crt"
{{- end }}
{{- end }}
{{- end -}}

{{/* The migration hook runs before normal resources exist, so it reads URLs given as values from its
     own short-lived hook Secret; existing Secrets are read directly. */}}
{{- define "isthmus.migrationSecretName" -}}
{{- printf "%s-migrate" (include "isthmus.fullname" .) -}}
{{- end -}}

{{- define "isthmus.migrationDatabaseSecretRef" -}}
{{- $db := .svc.database | default dict -}}
{{- $v := .root.Values -}}
{{- if $db.existingSecret -}}
name: {{ $db.existingSecret }}
key: {{ $db.existingSecretKey | default "database-url" }}
{{- else if $db.url -}}
name: {{ include "isthmus.migrationSecretName" .root }}
key: database-url-{{ .component }}
{{- else if $v.database.existingSecret -}}
name: {{ $v.database.existingSecret }}
key: {{ $v.database.existingSecretKey }}
{{- else -}}
name: {{ include "isthmus.migrationSecretName" .root }}
key: database-url
{{- end -}}
{{- end -}}
