"""Payment channels the cloud pays through: one adapter per channel, one shared vocabulary
(``ChannelTrade`` and the channel exceptions in ``base``)."""

from cloud_service.channels.base import (
    BillRow,
    ChannelError,
    ChannelOutcomeUnknown,
    ChannelRefund,
    ChannelRejected,
    ChannelTrade,
    ChannelUnavailable,
    NotificationRejected,
    TradeNotFound,
)

__all__ = [
    "BillRow",
    "ChannelError",
    "ChannelOutcomeUnknown",
    "ChannelRefund",
    "ChannelRejected",
    "ChannelTrade",
    "ChannelUnavailable",
    "NotificationRejected",
    "TradeNotFound",
]
