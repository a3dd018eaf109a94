"""SmartRedis-compatible client: tensors, datasets and aggregation lists in a Redis database.

The public names are SmartRedis 0.6.1's, so programs written for it run unchanged.
"""

from smartredis.client import Client
from smartredis.configoptions import ConfigOptions
from smartredis.dataset import Dataset
from smartredis.dataset_utils import DatasetConverter
from smartredis.logcontext import LogContext
from smartredis.logger import (
    LLDebug,
    LLDeveloper,
    LLInfo,
    LLQuiet,
    SRLoggingLevel,
    log_data,
    log_error,
    log_warning,
)
from smartredis.srobject import SRObject

__all__ = [
    "Client",
    "ConfigOptions",
    "Dataset",
    "SRObject",
    "LogContext",
    "DatasetConverter",
    "log_data",
    "log_warning",
    "log_error",
    "LLQuiet",
    "LLInfo",
    "LLDebug",
    "LLDeveloper",
    "SRLoggingLevel",
]
