"""Triggers: deferrable delivery and reply waits, and the inbound-SMS event trigger for asset watchers."""
