"""An offline Hexoskin API: a real HTTP server on loopback.

``Emulator`` serves the Hexoskin REST API (Tastypie list/detail/CRUD views, Basic,
API-key signature and OAuth2 auth, the data and report endpoints) with deterministic
demo data; ``FaultConfig`` injects errors, rate limits, latency and broken bodies;
``DEMO_USERS`` holds the demo credentials by role (see :mod:`hexoframe.emulator.store`
for the seeded users, records, ranges and visibility rules).

Ways in:

- in Python: ``with Emulator() as emu: ...`` (``emu.url`` is the server root);
- from the shell: ``hexoframe emulator --port 8000`` (see :mod:`hexoframe.emulator.cli`);
- in pytest: the ``hexoskin_emulator``, ``hexoskin_emulator_factory``, ``hexoskin_env``
  and ``hexoskin_users`` fixtures (see :mod:`hexoframe.emulator.pytest_plugin`).

Examples
--------
>>> import requests
>>> from hexoframe.emulator import Emulator, DEMO_USERS
>>> with Emulator() as emu:
...     me = DEMO_USERS["athlete"]
...     r = requests.get(emu.url + "/api/v1/record/37700/", auth=(me["email"], me["password"]))
...     r.json()["user"]["resource_uri"]
'/api/v1/user/1511/'
"""

from hexoframe.emulator.faults import FaultConfig
from hexoframe.emulator.server import Emulator
from hexoframe.emulator.store import DEMO_USERS

__all__ = ["Emulator", "FaultConfig", "DEMO_USERS"]
