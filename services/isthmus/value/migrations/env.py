from isthmus.platform.migrations import run_env
from isthmus.value.tables import metadata

run_env(metadata)
