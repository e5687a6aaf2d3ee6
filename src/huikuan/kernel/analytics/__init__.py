"""Analytics rules: the Polars forms of the delinquency rules the facts need, and the KPIs over fact frames."""
