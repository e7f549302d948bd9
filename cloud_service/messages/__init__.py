"""The hospital's messages to patients: the notices the cloud receives (6001-6005) become
messages in each bound user's message centre and are delivered by the channel the user came
from (WeChat subscribe message, Alipay template message, or SMS)."""
