"""Payment providers: Stripe (international) and Payme (the Uzbek card rail)."""
