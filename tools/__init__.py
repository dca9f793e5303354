"""Typed clients for the platform systems Referent reads and acts on.

Nothing here knows about LLMs, policies or audit: each module exposes a client class
(constructed with an injected network client) and a ``specs(client)`` function returning the
:class:`tools.base.ToolSpec` list the gateway registers.
"""
