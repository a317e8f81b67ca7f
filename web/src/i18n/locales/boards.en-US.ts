// Messages of the command-centre boards (citybrain.boards), spread into en-US.ts.
const boardsEnUS = {
  boards: {
    title: 'Command centre boards',
    indicators: '{n} indicators',
    open: 'Open board',
    screens: 'Screens',
    addScreen: 'Register a screen',
    screenName: 'Name',
    region: 'Region',
    size: 'Size',
    rotation: 'Rotation',
    rotateSeconds: 'Rotate every (s)',
    keyPrefix: 'Key prefix',
    lastUsed: 'Last used',
    state: 'State',
    active: 'Active',
    revoke: 'Revoke',
    revoked: 'Revoked',
    revokeConfirm: 'Revoke the key of screen "{name}"? It stops showing boards at once.',
    create: 'Register',
    keyOnce: 'The screen key is shown only this once: configure it on the screen computer now',
    address: 'Board address',
    noIndicators: 'No published indicators on this board yet',
  },
}

export default boardsEnUS
