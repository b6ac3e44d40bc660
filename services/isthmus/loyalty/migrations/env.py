from isthmus.loyalty.tables import metadata
from isthmus.platform.migrations import run_env

run_env(metadata)
