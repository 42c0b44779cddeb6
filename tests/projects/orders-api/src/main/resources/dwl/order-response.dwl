%dw 2.0
output application/json
---
{
  orderId: payload.orderId,
  lines: sizeOf(payload.lines),
  total: vars.total
}
