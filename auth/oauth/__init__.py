"""The OAuth 2 authorization server of partner apps (issue 12), on authlib: keys and
access-token claims, client registration, the server and its grants, the consent
decisions, installations, and the principal an app's token becomes."""
