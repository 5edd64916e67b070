-- sqlml demo: a churn model for a made-up subscription business, end to end on embedded DuckDB.

-- 20,000 customers, generated deterministically (hash() of the id plays the dice), so every
-- run of the demo sees the same data. Churn depends on tenure, contract, internet service,
-- payment method, support calls and charges, plus noise; 1 in 17 ages is unknown (NULL).
CREATE OR REPLACE TABLE customers AS
WITH dice AS (
  SELECT i AS customer_id,
         (hash(i, 'tenure') % 10000) / 10000.0 AS d_tenure,
         (hash(i, 'charges') % 10000) / 10000.0 AS d_charges,
         (hash(i, 'contract') % 10000) / 10000.0 AS d_contract,
         (hash(i, 'calls') % 10000) / 10000.0 AS d_calls,
         (hash(i, 'internet') % 10000) / 10000.0 AS d_internet,
         (hash(i, 'payment') % 10000) / 10000.0 AS d_payment,
         (hash(i, 'age') % 10000) / 10000.0 AS d_age,
         (hash(i, 'churn') % 10000) / 10000.0 AS d_churn
  FROM range(1, 20001) AS t(i)
), customers AS (
  SELECT customer_id,
         CAST(1 + floor(d_tenure * 72) AS INTEGER) AS tenure_months,
         CASE WHEN d_contract < 0.55 THEN 'month-to-month' WHEN d_contract < 0.8 THEN 'one year' ELSE 'two year' END AS contract,
         CASE WHEN d_internet < 0.45 THEN 'fiber' WHEN d_internet < 0.8 THEN 'dsl' ELSE 'none' END AS internet,
         CASE WHEN d_payment < 0.35 THEN 'electronic check' WHEN d_payment < 0.6 THEN 'mailed check'
              WHEN d_payment < 0.8 THEN 'bank transfer' ELSE 'credit card' END AS payment_method,
         CAST(floor(-ln(1 - d_calls * 0.999) * 1.5) AS INTEGER) AS support_calls,
         round(20 + d_charges * 90, 2) AS monthly_charges,
         CASE WHEN customer_id % 17 = 0 THEN NULL ELSE CAST(18 + floor(d_age * 60) AS INTEGER) END AS age,
         d_churn
  FROM dice
)
SELECT customer_id, tenure_months, contract, internet, payment_method, support_calls, monthly_charges, age,
       DATE '2025-01-01' - CAST(tenure_months * 30 AS INTEGER) AS signup_date,
       d_churn < 1 / (1 + exp(-(-0.9 - 0.045 * tenure_months
                                + 1.3 * CAST(contract = 'month-to-month' AS INTEGER)
                                - 0.9 * CAST(contract = 'two year' AS INTEGER)
                                + 0.7 * CAST(internet = 'fiber' AS INTEGER)
                                + 0.5 * CAST(payment_method = 'electronic check' AS INTEGER)
                                + 0.35 * support_calls
                                + 0.012 * (monthly_charges - 65)))) AS churned
FROM customers;

-- Train: 70% of the rows learn, 30% are held out and evaluated. The id is not a feature.
CREATE OR REPLACE MODEL churn FROM customers PREDICT churned RECIPE (exclude(customer_id));

-- The held-out evaluation, stored with the model.
EVALUATE MODEL churn;

-- This month's sign-ups, scored and written back into a table any BI tool can read.
CREATE OR REPLACE TABLE new_customers AS
  SELECT customer_id + 100000 AS customer_id, tenure_months, contract, internet, payment_method,
         support_calls, monthly_charges, age, signup_date
  FROM customers WHERE customer_id % 10 = 0;

PREDICT churn FROM new_customers INTO churn_scores KEY customer_id;

-- The customers most likely to leave.
SELECT s.customer_id, c.contract, c.tenure_months, s.predicted_label AS will_churn, round(s.score, 3) AS churn_probability
FROM churn_scores s JOIN new_customers c USING (customer_id)
ORDER BY s.score DESC LIMIT 5;

SHOW MODELS;
