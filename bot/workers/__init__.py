"""The background work of a serving process: photo downloads (media), the plan runner, outbox sender and
re-handler (push, rehandler), and the clients they share (background)."""
