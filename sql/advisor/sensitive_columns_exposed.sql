-- Credentials and personal identifiers in a table the API serves without row-level security.
SELECT r.qualified AS object,
       format('columns %s look sensitive', string_agg(quote_ident(a.attname), ', ' ORDER BY a.attname)) AS detail
FROM relations AS r
JOIN pg_attribute AS a ON a.attrelid = r.oid AND a.attnum > 0 AND NOT a.attisdropped
WHERE r.relkind = 'r' AND r.exposed AND r.api_readable AND NOT r.rls
  AND replace(lower(a.attname), '-', '_') = ANY (ARRAY[
      'password', 'passwd', 'pwd', 'passphrase', 'secret', 'secret_key', 'private_key', 'api_key', 'apikey',
      'auth_key', 'token', 'jwt', 'access_token', 'refresh_token', 'oauth_token', 'session_token',
      'bearer_token', 'auth_code', 'session_id', 'session_key', 'session_secret', 'recovery_code',
      'backup_code', 'verification_code', 'otp', 'two_factor', 'ssn', 'social_security_number',
      'drivers_license', 'passport_number', 'national_id', 'tax_id', 'credit_card', 'card_number', 'cvv',
      'cvc', 'bank_account', 'account_number', 'routing_number', 'iban', 'medical_record', 'patient_id',
      'insurance_number', 'mac_address', 'imei', 'ssh_key', 'pgp_key', 'license_key'])
GROUP BY r.qualified
