"""Register statistics tasks (R8): thin wrappers around ``app.services.statistics``."""
