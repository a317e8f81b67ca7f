// The icons the menu may name in route meta; imported one by one to keep the bundle small.
import {
  Bell,
  ChatLineSquare,
  Coin,
  Connection,
  DataAnalysis,
  DataBoard,
  Document,
  Files,
  HomeFilled,
  Key,
  MapLocation,
  OfficeBuilding,
  Promotion,
  Share,
  Timer,
  Upload,
  User,
  UserFilled,
  Menu as MenuIcon,
} from '@element-plus/icons-vue'
import type { Component } from 'vue'

const ICONS: Record<string, Component> = {
  Bell,
  ChatLineSquare,
  Coin,
  Connection,
  DataAnalysis,
  DataBoard,
  Document,
  Files,
  HomeFilled,
  Key,
  MapLocation,
  OfficeBuilding,
  Promotion,
  Share,
  Timer,
  Upload,
  User,
  UserFilled,
}

export function menuIcon(name: string | undefined): Component {
  return (name && ICONS[name]) || MenuIcon
}
