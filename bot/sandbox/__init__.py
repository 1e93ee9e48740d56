"""The sandbox: a fake WeChat platform on loopback, so weekbot runs end to end without WeChat."""
