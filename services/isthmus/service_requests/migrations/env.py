from isthmus.platform.migrations import run_env
from isthmus.service_requests.tables import metadata

run_env(metadata)
