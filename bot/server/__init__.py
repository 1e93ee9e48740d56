"""Running the service: one process (serve), N processes on one socket (supervisor), the leader lock
that runs once-per-deployment duties once (leader) and the data directory lock (datalock)."""
