"""The gateway's wire format, with no I/O: build query parameters, parse answers."""
