/** A small shop project for the docs site tests: seeds, staging, marts with a relationship, an exposure. */
export const SHOP_FILES: Record<string, string> = {
  'reel_project.yml': 'name: shop\nmodels:\n  shop:\n    staging:\n      +schema: staging\n    marts:\n      +schema: marts\n      +materialized: table\nseeds:\n  shop:\n    +schema: raw\n',
  'seeds/raw_orders.csv': 'order_id,customer_id,amount\n1,1,10.5\n2,1,20\n3,2,5\n',
  'seeds/raw_customers.csv': 'customer_id,name\n1,Ann\n2,Bo\n',
  'models/staging/stg_orders.sql': 'select order_id, customer_id, amount as amount_usd from {{ref "raw_orders"}}',
  'models/staging/stg_customers.sql': 'select customer_id, name as customer_name from {{ref "raw_customers"}}',
  'models/marts/dim_customers.sql': 'select customer_id, customer_name from {{ref "stg_customers"}}',
  'models/marts/fct_orders.sql':
    'select o.order_id, o.customer_id, c.customer_name, o.amount_usd * 100 as amount_cents\nfrom {{ref "stg_orders"}} as o\njoin {{ref "dim_customers"}} as c on c.customer_id = o.customer_id\n',
  'models/marts/customer_revenue.sql': 'select customer_id, sum(amount_cents) as revenue_cents from {{ref "fct_orders"}} group by customer_id',
  'models/sources.yml': 'sources:\n  - name: raw\n    schema: raw\n    tables:\n      - name: payments\n        description: Card payments.\n        loaded_at_field: paid_at\n        columns:\n          - {name: payment_id, description: The payment.}\n',
  'tests/no_negative_amounts.sql': 'select * from {{ref "fct_orders"}} where amount_cents < 0',
  'models/schema.yml': `models:
  - name: fct_orders
    description: One row per order, with its customer.
    columns:
      - name: order_id
        description: The order.
        tests: [unique, not_null]
      - name: customer_id
        data_type: integer
        tests:
          - relationships: {to: "ref('dim_customers')", field: customer_id}
      - name: amount_cents
        description: What was paid, in cents.
  - name: dim_customers
    description: One row per customer.
    columns:
      - name: customer_id
        tests: [unique]
exposures:
  - name: revenue_dashboard
    type: dashboard
    url: https://bi.example.com/revenue
    owner: {name: Finance}
    depends_on: ["ref('customer_revenue')"]
`,
};
