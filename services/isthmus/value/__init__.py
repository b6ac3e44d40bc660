"""Customer value: historical and predicted lifetime value, RFM, A/B/C tiers and churn risk."""
