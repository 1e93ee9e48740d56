"""Process and I/O edges: config, the aiohttp app and routes, channel adapters, workers, CLI."""
