-- Delivery platform state: what a publisher saved mid-publish (an Instagram
-- or Threads container id, …) as a JSON object of strings, so that a retry
-- after a crash resumes the same publish instead of starting over. It is
-- cleared when the delivery is published or its content changes.

ALTER TABLE deliveries ADD COLUMN platform_state TEXT NOT NULL DEFAULT '{}';
