"""Webhooks of partner apps (issue 12): subscriptions, payloads rendered by the policy
runtime under the app's principal, Standard Webhooks signatures, delivery with retries,
and the SSRF guard on every outbound request."""
