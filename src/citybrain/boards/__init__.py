"""指挥中心大屏: the command centre's boards and the screens that show them. A board is a fixed
full-screen page over published indicators and events (aggregates only); a screen (屏端) is a
wall or monitor that runs one board or a rotation of them with a screen key instead of a login,
revocable at once, every use audited."""
