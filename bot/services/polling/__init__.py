"""Flow 2: the gateway's destructive polls into the store, kept before they are used."""
