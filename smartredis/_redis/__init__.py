"""A small Redis protocol (RESP2) client: command packing, wire parsing, one connection."""
