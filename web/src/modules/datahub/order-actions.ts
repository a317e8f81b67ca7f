// What can be done with a rectification order from any page: download its failed rows.
import { ElMessage } from 'element-plus'
import { errorMessage } from '@/api/errors'
import { t } from '@/i18n'
import { saveBlob } from '@/utils/download'
import { qualityApi } from './api'

export async function downloadFailedRows(orderId: number): Promise<void> {
  try {
    saveBlob(await qualityApi.failedRows(orderId), `order-${orderId}.xlsx`)
  } catch (err) {
    ElMessage.error(errorMessage(err, t('common.requestFailed')))
  }
}
