"""Outside channels of the message centre: e-mail over SMTP, the group robots of 企业微信,
钉钉 and 飞书, and a generic JSON webhook. ``base`` names them, ``robots`` builds each robot's
body and signature (pure), ``http`` and ``email`` send through the platform's outbound rule."""
