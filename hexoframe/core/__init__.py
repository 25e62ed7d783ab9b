"""The shared core: time, time base, datatypes, errors, units, references, CF metadata and the
service's schema. Imports nothing else of hexoframe.
"""
