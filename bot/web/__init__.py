"""The webhook side of HTTP: the aiohttp app with the WeChat callbacks (app), bounded connections and
the site that serves an app (connections), and the health endpoint's monitor (health)."""
