"""Simulated outside parties: the insurance center, WeChat Pay and Alipay, each its own app."""
