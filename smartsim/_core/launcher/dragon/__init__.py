"""Dragon: jobs run as processes of one Dragon runtime (the ``dragonhpc`` package) per driver."""
