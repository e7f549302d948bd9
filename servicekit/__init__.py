"""What every service process needs and no zone has to agree on: settings, logs, database,
Redis, health checks."""
