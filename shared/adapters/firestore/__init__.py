"""Firestore adapters: the session store and the API key store.

Layout (one document per message, never an array in the session):

    tenants/{tenant}/sessions/{session_id}                       Session
    tenants/{tenant}/sessions/{session_id}/messages/{message_id} Message, id = ids.message_id
    tenants/{tenant}/sessions/{session_id}/recent/window          the newest messages (a cache)
    tenants/{tenant}/idempotency/{sha256(user, key)}             claim and stored response
    outbox/{sha256(event_id)}                                    session events not yet published
    api_keys/{key_hash}                                          API key records

Every composite index these queries need is declared in infra/firestore.indexes.json.
"""
