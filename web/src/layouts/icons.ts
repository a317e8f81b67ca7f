// The icons the menu may name in route meta; imported one by one to keep the bundle small.
import { Coin, Document, HomeFilled, Key, MapLocation, User, Menu as MenuIcon } from '@element-plus/icons-vue'
import type { Component } from 'vue'

const ICONS: Record<string, Component> = { Coin, Document, HomeFilled, Key, MapLocation, User }

export function menuIcon(name: string | undefined): Component {
  return (name && ICONS[name]) || MenuIcon
}
