"""The personal-data category taxonomy (policy sections 2.1, 2.2), modelled on Fides.

Each category carries its fideslang key so the data map can be read by privacy tools.
"""

from __future__ import annotations

import enum


class DataCategory(enum.Enum):
    NAME = "user.name"
    EMAIL = "user.contact.email"
    PHONE = "user.contact.phone_number"
    POSTAL_ADDRESS = "user.contact.address"
    DATE_OF_BIRTH = "user.demographic.date_of_birth"
    JOB = "user.workplace"
    NOTES = "user.content.private"
    ONLINE_ID = "user.device.ip_address"
    FINANCIAL = "user.financial"
    PRIVACY_CHOICES = "user.privacy_preferences"

    @property
    def fides_key(self) -> str:
        return self.value


DESCRIPTIONS: dict[DataCategory, str] = {
    DataCategory.NAME: "a person's name",
    DataCategory.EMAIL: "an email address",
    DataCategory.PHONE: "a telephone number",
    DataCategory.POSTAL_ADDRESS: "a postal address or part of one",
    DataCategory.DATE_OF_BIRTH: "a date of birth",
    DataCategory.JOB: "job title and workplace",
    DataCategory.NOTES: "free text written about a person",
    DataCategory.ONLINE_ID: "an online identifier such as an IP address",
    DataCategory.FINANCIAL: "financial information about a person",
    DataCategory.PRIVACY_CHOICES: "a person's privacy choices (restriction, erasure, consent)",
}
