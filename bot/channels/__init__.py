"""Channel adapters: WeChat's wire format (signatures, AES, XML) <-> handlers.inbound.Inbound."""
