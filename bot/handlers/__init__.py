"""One module per group of commands. Each exposes `register(application)`."""
