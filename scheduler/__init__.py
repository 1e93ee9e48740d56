"""The campaign's time: clock, calendar, push plan, and the machinery that executes it."""
