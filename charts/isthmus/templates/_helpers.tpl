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

{{/* An image reference: [registry/]repository(:tag|@digest); global.imageRegistry wins over the image's own. */}}
{{- define "isthmus.imageRef" -}}
{{- $registry := .global.imageRegistry | default .image.registry | default "" -}}
{{- $repo := .image.repository -}}
{{- if $registry -}}{{- $repo = printf "%s/%s" (trimSuffix "/" $registry) $repo -}}{{- end -}}
{{- if .image.digest -}}
{{- printf "%s@%s" $repo .image.digest -}}
{{- else -}}
{{- printf "%s:%s" $repo (toString (.image.tag | default .defaultTag)) -}}
{{- end -}}
{{- end -}}

{{- define "isthmus.image" -}}
{{- include "isthmus.imageRef" (dict "global" (.Values.global | default dict) "image" .Values.image "defaultTag" .Chart.AppVersion) -}}
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

{{/* Enabled components that have a schema to migrate (migrate is not false), sorted. */}}
{{- define "isthmus.migratedComponents" -}}
{{- $names := list -}}
{{- range $name := include "isthmus.enabledComponents" . | fromJsonArray -}}
{{- if ne (toString (get $.Values.services $name).migrate) "false" -}}{{- $names = append $names $name -}}{{- end -}}
{{- end -}}
{{- toJson $names -}}
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
ISTHMUS_ACCESS_LOG: {{ .Values.config.accessLog | quote }}
{{- include "isthmus.tracingEnv" . }}
{{- end -}}

{{/* The standard OpenTelemetry variables: each component names itself isthmus-<component>. */}}
{{- define "isthmus.tracingEnv" -}}
{{- with .Values.tracing }}
{{- if .enabled }}
OTEL_TRACES_EXPORTER: "otlp"
OTEL_EXPORTER_OTLP_ENDPOINT: {{ required "tracing.enabled needs tracing.endpoint: the OTLP gRPC endpoint of your collector, e.g. http://otel-collector.observability:4317" .endpoint | quote }}
OTEL_TRACES_SAMPLER: "parentbased_traceidratio"
OTEL_TRACES_SAMPLER_ARG: {{ .sampleRatio | toString | quote }}
OTEL_RESOURCE_ATTRIBUTES: {{ trimSuffix "," (printf "k8s.namespace.name=%s,%s" $.Release.Namespace .resourceAttributes) | quote }}
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


{{/* ISTHMUS_ prefix of a component's own settings: "service-requests" -> "ISTHMUS_SERVICE_REQUESTS". */}}
{{- define "isthmus.envPrefix" -}}
{{- printf "ISTHMUS_%s" (. | upper | replace "-" "_") -}}
{{- end -}}

{{/* In-release address of a component's gRPC API: the Service's name in the namespace, and its port. */}}
{{- define "isthmus.grpcTarget" -}}
{{- printf "%s.%s.svc:%v" (include "isthmus.componentName" .) .root.Release.Namespace .root.Values.config.grpcPort -}}
{{- end -}}

{{/* Enabled components that a component calls (its `calls`, minus disabled ones), as a JSON list. */}}
{{- define "isthmus.callees" -}}
{{- $out := list -}}
{{- range $callee := (.svc.calls | default list) -}}
{{- $target := get $.root.Values.services $callee -}}
{{- if not $target -}}
{{- fail (printf "isthmus: services.%s.calls names %q, which is not a component" $.component $callee) -}}
{{- end -}}
{{- if $target.enabled -}}{{- $out = append $out $callee -}}{{- end -}}
{{- end -}}
{{- toJson $out -}}
{{- end -}}

{{/* Enabled components whose `calls` include this one, as a JSON list. */}}
{{- define "isthmus.callers" -}}
{{- $out := list -}}
{{- range $name := include "isthmus.enabledComponents" .root | fromJsonArray -}}
{{- $svc := get $.root.Values.services $name -}}
{{- if has $.component ($svc.calls | default list) -}}{{- $out = append $out $name -}}{{- end -}}
{{- end -}}
{{- toJson $out -}}
{{- end -}}

{{/* The Secret key a calling component's hub token comes from (empty: none needed), as YAML. */}}
{{- define "isthmus.hubTokenRef" -}}
{{- $v := .root.Values -}}
{{- $token := .svc.hubToken | default dict -}}
{{- /* Connectors need it once they have instances; the web console once users sign in with OIDC. */ -}}
{{- if and (include "isthmus.callees" . | fromJsonArray) (not $v.auth.disabled) (or .svc.instances (.svc.oidc | default dict).issuer) -}}
{{- if $token.existingSecret -}}
name: {{ $token.existingSecret }}
key: {{ $token.existingSecretKey | default "hub-token" }}
{{- else if and $token.client (not $v.auth.existingSecret) (hasKey ($v.auth.tokens | default dict) $token.client) -}}
name: {{ include "isthmus.secretName" .root }}
key: hub-token-{{ .component }}
{{- else if and $v.evaluation.enabled (not $v.auth.tokens) (not $v.auth.existingSecret) -}}
name: {{ include "isthmus.secretName" .root }}
key: evaluation-token
{{- else -}}
{{- fail (printf "isthmus: services.%s calls the APIs with a bearer token: set services.%s.hubToken.existingSecret (a Secret key holding the token of a client with customers:read, customers:write, orders:write, service_requests:write and value:write) or hubToken.client (a client of auth.tokens)" .component .component) -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/* A component's probes: the global ones, overridden key by key by its own. */}}
{{- define "isthmus.probes" -}}
{{- $out := dict -}}
{{- range $kind := list "startup" "readiness" "liveness" -}}
{{- $base := deepCopy (get $.root.Values.probes $kind | default dict) -}}
{{- $_ := set $out $kind (mergeOverwrite $base (get ($.svc.probes | default dict) $kind | default dict)) -}}
{{- end -}}
{{- toJson $out -}}
{{- end -}}

{{/* The connector instances file (JSON), from services.<component>.instances. */}}
{{- define "isthmus.instancesFile" -}}
{{- $instances := list -}}
{{- range .svc.instances -}}
{{- $i := dict "name" .name "connector" .connector "config" (.config | default dict) -}}
{{- if hasKey . "scheduleSeconds" -}}{{- $_ := set $i "schedule_seconds" .scheduleSeconds -}}{{- end -}}
{{- if .streams -}}{{- $_ := set $i "streams" .streams -}}{{- end -}}
{{- if hasKey . "writeBack" -}}{{- $_ := set $i "write_back" .writeBack -}}{{- end -}}
{{- $instances = append $instances $i -}}
{{- end -}}
{{- dict "instances" $instances | toPrettyJson -}}
{{- end -}}

{{/* Volumes added by global and per-component extraVolumes, deduplicated by name, as a JSON list. */}}
{{- define "isthmus.extraVolumes" -}}
{{- $seen := dict -}}
{{- $out := list -}}
{{- range $vol := concat (.root.Values.extraVolumes | default list) (.volumes | default list) -}}
{{- if not (hasKey $seen $vol.name) -}}
{{- $_ := set $seen $vol.name true -}}
{{- $out = append $out $vol -}}
{{- end -}}
{{- end -}}
{{- toJson $out -}}
{{- end -}}

{{/* The session key Secret of a component with `http` (the web console): given, or created once by the chart. */}}
{{- define "isthmus.sessionKeyRef" -}}
{{- $key := .svc.sessionKey | default dict -}}
name: {{ $key.existingSecret | default (printf "%s-session-key" (include "isthmus.componentName" .)) }}
key: {{ $key.existingSecretKey | default "session-key" }}
{{- end -}}

{{/* The environment of a component with `http`: its session key, session length and OpenID Connect. */}}
{{- define "isthmus.webEnv" -}}
{{- $prefix := include "isthmus.envPrefix" .component -}}
{{- $oidc := .svc.oidc | default dict -}}
- name: {{ $prefix }}_SECRET_KEY
  valueFrom:
    secretKeyRef:
      {{- include "isthmus.sessionKeyRef" . | nindent 6 }}
{{- with .svc.sessionHours }}
- {name: {{ $prefix }}_SESSION_HOURS, value: {{ . | quote }}}
{{- end }}
{{- if $oidc.issuer }}
- {name: {{ $prefix }}_OIDC_ISSUER, value: {{ $oidc.issuer | quote }}}
- {name: {{ $prefix }}_OIDC_CLIENT_ID, value: {{ $oidc.clientId | quote }}}
- {name: {{ $prefix }}_OIDC_ROLES_CLAIM, value: {{ $oidc.rolesClaim | default "groups" | quote }}}
- {name: {{ $prefix }}_OIDC_ROLE_SCOPES, value: {{ toJson ($oidc.roleScopes | default dict) | quote }}}
- name: {{ $prefix }}_OIDC_CLIENT_SECRET
  valueFrom:
    secretKeyRef: {name: {{ $oidc.existingSecret }}, key: {{ $oidc.clientSecretKey | default "client-secret" }}}
{{- end }}
{{- end -}}

{{/* Enabled components that serve gRPC (all but those with `http`), as a JSON list. */}}
{{- define "isthmus.grpcComponents" -}}
{{- $names := list -}}
{{- range $name := include "isthmus.enabledComponents" . | fromJsonArray -}}
{{- if not (get $.Values.services $name).http -}}{{- $names = append $names $name -}}{{- end -}}
{{- end -}}
{{- toJson $names -}}
{{- end -}}

{{/* The connectors component's webhook endpoint (services.connectors.webhooks) when enabled, else empty. */}}
{{- define "isthmus.webhooks" -}}
{{- $webhooks := .svc.webhooks | default dict }}
{{- if $webhooks.enabled }}
{{- if ne .component "connectors" }}
{{- fail (printf "isthmus: services.%s.webhooks: only the connectors component receives webhooks" .component) }}
{{- end }}
{{- toYaml $webhooks }}
{{- end }}
{{- end }}

{{/* An Ingress to a component's HTTP port. ctx: the component's context (labels); name; ingress: its
values (className, host, annotations, tlsSecretName); service and port: the Service and its port name;
path: what it routes. */}}
{{- define "isthmus.httpIngress" -}}
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: {{ .name }}
  labels:
    {{- include "isthmus.labels" .ctx | nindent 4 }}
  {{- with .ingress.annotations }}
  annotations:
    {{- toYaml . | nindent 4 }}
  {{- end }}
spec:
  {{- with .ingress.className }}
  ingressClassName: {{ . }}
  {{- end }}
  {{- if .ingress.tlsSecretName }}
  tls:
    - hosts: [{{ .ingress.host | quote }}]
      secretName: {{ .ingress.tlsSecretName }}
  {{- end }}
  rules:
    - {{- with .ingress.host }}
      host: {{ . | quote }}
      {{- end }}
      http:
        paths:
          - path: {{ .path }}
            pathType: Prefix
            backend:
              service:
                name: {{ .service }}
                port: {name: {{ .port }}}
{{- end }}
