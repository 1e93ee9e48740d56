"""What a message means: parser, router and dialog state, commands, photo intake.

Handlers never talk HTTP: they take a normalised inbound message and return replies and
outbox entries.
"""
