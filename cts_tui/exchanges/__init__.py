"""Exchange clients behind one interface: ccxt on our own transport, native Pionex and OrangeX;
the hub that pools them and keeps clock offsets; the error taxonomy."""
