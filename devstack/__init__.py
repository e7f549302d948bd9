"""Running the whole system on one machine: Redis, the four services, the simulators.

Used by ``make run`` and by the end-to-end tests, so both start processes the same way.
"""
