def decay(lr, steps):
    """A loss curve that depends on every overridden parameter."""
    return [1.0 / (1.0 + lr * step) for step in range(steps)]
