import type reportsZhCN from './reports.zh-CN'

const reportsEnUS: typeof reportsZhCN = {
  reports: {
    title: 'Reports',
    new: 'Write a report',
    read: 'Report',
    edit: 'Edit report',
    titleColumn: 'Title',
    titleFilter: 'Find by title',
    titleRequired: 'Please give a title',
    body: 'Text',
    status: 'Status',
    statuses: { draft: 'Draft', published: 'Published' },
    where: 'Region · department',
    author: 'Author',
    attachments: 'Attachments',
    addAttachment: 'Upload attachment',
    saveFirst: 'Save the draft before uploading attachments',
    updatedAt: 'Time',
    publish: 'Publish',
    publishConfirm: 'Readers of the region and below will see it, and search will find it. Publish?',
    withdraw: 'Withdraw',
    withdrawReason: 'Reason for withdrawing',
    preview: 'Preview',
    saved: 'Saved',
    remove: 'Delete',
    editor: {
      bold: 'Bold',
      italic: 'Italic',
      underline: 'Underline',
      heading: 'Heading',
      paragraph: 'Paragraph',
      bullets: 'Bullets',
      numbers: 'Numbering',
      quote: 'Quote',
      link: 'Link',
      linkPrompt: 'Link address (http, https or mailto)',
    },
  },
}

export default reportsEnUS
