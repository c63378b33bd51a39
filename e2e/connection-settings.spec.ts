/**
 * The STUN/TURN setting as a person meets it: a list that is not one is
 * refused in words and nothing is saved; a valid one is saved, survives a
 * reload, and emptying it goes back to the app's own servers.
 */
import { expect, test } from '@playwright/test'

test('STUN and TURN servers are checked, kept across a reload, and cleared back to the app\'s own', async ({ page }) => {
  await page.goto('/')
  await expect(page.getByTestId('node-status')).toHaveAttribute('data-state', 'ready')
  await page.getByText('Direct connections: STUN and TURN servers').click()
  const field = page.getByLabel('ICE servers (JSON)')
  const form = page.getByRole('form', { name: 'STUN and TURN servers' })
  await expect(form).toContainText('Using this app\'s own servers')

  await field.fill('[{ "urls": "turn:turn.example.org:3478" }]')
  await page.getByRole('button', { name: 'Save servers' }).click()
  await expect(form.getByRole('alert')).toHaveText('ICE servers: server 1 is a TURN server and needs "username" and "credential"')

  const servers = '[{ "urls": "stun:stun.example.org:3478" }, { "urls": "turn:turn.example.org:3478", "username": "u", "credential": "p" }]'
  await field.fill(servers)
  await page.getByRole('button', { name: 'Save servers' }).click()
  await expect(form).toContainText('Saved: 2 servers')
  await expect(form.getByRole('alert')).toHaveCount(0)

  await page.reload()
  await page.getByText('Direct connections: STUN and TURN servers').click()
  await expect(field).toHaveValue(servers)
  await field.fill('')
  await page.getByRole('button', { name: 'Save servers' }).click()
  await expect(form).toContainText('Using this app\'s own servers')
  await page.reload()
  await page.getByText('Direct connections: STUN and TURN servers').click()
  await expect(field).toHaveValue('')
})
