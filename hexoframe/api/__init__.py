"""The REST API: settings and credentials, authentication, the transport (one retry policy), the
client, resources and their tables.
"""
