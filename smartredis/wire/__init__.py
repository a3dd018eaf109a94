"""The wire layer: the one internal home of how SmartRedis data travels and is laid out.

Both :mod:`smartredis` (the client) and :mod:`smartsim` (the driver, the database checks and
the inference worker) import the Redis wire protocol from here, under this documented name,
and from nowhere else. It is internal: not part of SmartRedis's public API (that is
``from smartredis import Client, Dataset, ...``), and it may change with the client.

Modules:

* :mod:`~smartredis.wire.protocol` - RESP2 command packing and reply parsing;
  :class:`ReplyError` (a server error reply), :class:`ProtocolError` (a malformed stream).
* :mod:`~smartredis.wire.connection` - :class:`Address` and one blocking
  :class:`Connection` (TCP or Unix socket); its I/O failures are ``OSError``.
* :mod:`~smartredis.wire.retry` - :class:`RetryPolicy` budgets and the errors raised when
  they run out (:class:`ServerUnavailable`, :class:`ServerTimeout`, :class:`AddressError`).
* :mod:`~smartredis.wire.slots` - Redis Cluster key slots (:func:`hash_slot`, :data:`SLOTS`).
* :mod:`~smartredis.wire.router` - :class:`Router`, the client's per-database command
  router with its retry loop, and :class:`StandaloneRouter` for a single node.
* :mod:`~smartredis.wire.cluster` - :class:`ClusterRouter`: routing by slot, MOVED/ASK.
* :mod:`~smartredis.wire.tensor` - the stored tensor format (docs/tensor-format.md).
* :mod:`~smartredis.wire.store` - :class:`TensorStore`: tensors read and written through a
  router, split into parts past the 512 MiB string limit.
* :mod:`~smartredis.wire.inference` - models and scripts: RedisAI's ``AI.*`` commands as
  SmartRedis 0.6.1 sends them, and its cluster layout (shard prefixes, ``.TMP`` keys).
"""

from smartredis.wire import inference, tensor
from smartredis.wire.cluster import ClusterRouter
from smartredis.wire.connection import Address, Connection
from smartredis.wire.protocol import Chunks, ProtocolError, ReplyError
from smartredis.wire.retry import AddressError, RetryPolicy, ServerTimeout, ServerUnavailable
from smartredis.wire.router import Router, StandaloneRouter
from smartredis.wire.slots import SLOTS, hash_slot
from smartredis.wire.store import TensorStore

__all__ = [
    "SLOTS",
    "Address",
    "Chunks",
    "AddressError",
    "ClusterRouter",
    "Connection",
    "ProtocolError",
    "ReplyError",
    "RetryPolicy",
    "Router",
    "ServerTimeout",
    "ServerUnavailable",
    "StandaloneRouter",
    "TensorStore",
    "hash_slot",
    "inference",
    "tensor",
]
