from isthmus.platform.migrations import run_env
from isthmus.value import engagement_tables  # noqa: F401  (its tables join the metadata)
from isthmus.value.tables import metadata

run_env(metadata)
