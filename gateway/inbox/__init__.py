"""The secretariat's inbox: free-text SMS no route took and questions recorded by phone, each
opening the conversation with its contact (thread, reply, saved replies, notes, handled,
assigned). Views are in :mod:`gateway.admin.inbox`."""
